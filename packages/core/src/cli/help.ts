import pc from "picocolors";

export const HELP = `${pc.bold("captun")} — a public URL for something on your machine, served by your own Cloudflare Worker

${pc.bold("Usage")}
  captun <port|url> [--name <name>] [--server-url <url>] [--secret-file <path>] [--no-qr] [--grace <seconds>]
                   [--private | --passcode <code>] [--public-path <glob>…]
                   [--inspect-port <port>] [--no-inspect] [--inbox <path pattern>…]
  captun vite [vite args…] [--name <name>] [--server-url <url>] [--secret-file <path>] [--access public|private] [--passcode <code>]
  captun react-router dev [react-router args…] [the same captun flags as captun vite]
  captun share [--name <tunnel>] [--ttl 2h] [--path <glob>…] [--label <who>] | --list | --revoke <label> | --revoke-all
  captun server [--port <port>] [--routing subdomain|folder]
  captun deploy [--route <pattern> --zone <zone>] [--shards <n>] [--worker-name <name>] [--dry-run] [--yes]
  captun undeploy [--dry-run] [--yes]

${pc.bold("Commands")}
  <port|url>   tunnel a local port (http://localhost:<port>) or URL; prints the public URL
  vite         run the project's own Vite with captun's plugin (the one-word \`vite --tunnel\`);
               also SvelteKit, SolidStart and React Router projects (\`captun vite dev\`)
  react-router the same through React Router's own CLI
  share        a share link for a private tunnel (+ QR code); --list, --revoke, --revoke-all
  server       run the captun Worker locally in workerd (default port 8787, *.localhost routing)
  deploy       deploy the captun Worker to your Cloudflare account with wrangler
  undeploy     remove what deploy created (Worker, route, DNS record, certificate) and the saved server

${pc.bold("Tunnel options")}
  --name        tunnel name, a DNS label (default: 16 random characters)
  --server-url  captun server to use (default: CAPTUN_SERVER_URL, then the saved config);
                https://*.example.com means subdomain routing under example.com
  --secret-file file holding the connect secret (default: CAPTUN_SECRET, then the saved config)
  --secret      the connect secret itself; it lands in your shell history and in \`ps\`: prefer the
                above, CAPTUN_SECRET, or the config \`captun deploy\` / \`captun server\` save
  --no-qr       do not print a QR code of the public URL
  --grace       seconds in-flight requests may take to finish after Ctrl-C (default 10)
  --private     only visitors with a share link get through (checked by the server); prints your link
  --passcode    share links, or this passcode (a form in browsers, HTTP Basic for API clients)
  --public-path paths that stay open under --private/--passcode, e.g. '/api/webhooks/**' (repeatable)
  (dev servers — captun vite and the plugins — are private by default; \`captun <port>\` is public)
  --inspect-port  local inspector port on 127.0.0.1 (default 4141, or the next free one)
  --no-inspect  do not record requests or serve the inspector
  --inbox       keep requests to these paths while offline, e.g. '/webhooks/**' (repeatable)

Config: $XDG_CONFIG_HOME/captun/config.json (default ~/.config). Docs: docs/cli.md, docs/deploy.md
`;
