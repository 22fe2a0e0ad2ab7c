import pc from "picocolors";

export const DEPLOY_HELP = `${pc.bold("captun deploy")} — deploy the captun Worker to your Cloudflare account and save how to reach it

${pc.bold("Usage")}
  captun deploy                                   ask where tunnel URLs should live (in a terminal)
  captun deploy --yes                             workers.dev, no questions
  captun deploy --route '*.<hostname>/*' [--zone <zone>]
  captun deploy --dry-run [...]                   read the account, print the exact plan, change nothing
  captun deploy --remove                          the same as captun undeploy

${pc.bold("Options")}
  --route <pattern>     '*.tunnels.example.com/*': tunnels become <name>.tunnels.example.com (default: workers.dev)
  --zone <zone>         the zone the route belongs to (default: the route's hostname)
  --shards <n>          Durable Objects tunnel names are spread over (default 1)
  --worker-name <name>  the Worker's name (default captun)
  --dry-run             print the plan (API calls and resources) and validate with wrangler; change nothing
  --yes, -y             never ask; also agrees to switch a DNS-only wildcard record to proxied

${pc.bold("Credentials")} (wrangler's order)
  CLOUDFLARE_API_TOKEN, else CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL, else an existing \`npx wrangler login\`
  (enough for workers.dev only). CLOUDFLARE_ACCOUNT_ID picks the account when there are several.

Running it again changes nothing when nothing changed. Docs: docs/deploy.md
`;

export const UNDEPLOY_HELP = `${pc.bold("captun undeploy")} — remove what captun deploy created, and nothing else

${pc.bold("Usage")}
  captun undeploy [--dry-run] [--yes]

  Removes the Worker, its route, the wildcard DNS record and certificate pack deploy created (DNS
  records it switched to proxied go back to DNS only), then forgets the server in the captun config.
  --dry-run lists them; --yes removes without asking.
`;
