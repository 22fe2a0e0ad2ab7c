import { isCancel, note, select, text } from "@clack/prompts";
import { CaptunUsageError } from "../args.ts";
import type { Zone } from "./cloudflare-api.ts";
import type { DeployIo } from "./io.ts";
import type { RoutingPlan } from "./routing-plan.ts";

type Choice = "workers-dev" | "dedicated" | "namespaced" | "throwaway";

/**
 * Asks where tunnel URLs should live. Resolves with the plan, or `undefined` when the user picked
 * the advice to register a domain first (nothing to deploy yet).
 */
export async function askRoutingPlan(io: DeployIo, listZones: (() => Promise<Zone[]>) | undefined): Promise<RoutingPlan | undefined> {
  const common = { input: io.input, output: io.output };
  const choice = answer(
    await select<Choice>({
      ...common,
      message: "Where should tunnel URLs live?",
      options: [
        { value: "workers-dev", label: "workers.dev, folder routing", hint: "free, instant; apps run under /<name>/" },
        {
          value: "dedicated",
          label: "A zone set aside for tunnels: <name>.your-domain.com",
          hint: "free; catches every subdomain of that zone",
        },
        { value: "namespaced", label: "Under a subdomain of a zone you use: <name>.captun.your-domain.com", hint: "needs ACM, ~$10/month" },
        { value: "throwaway", label: "I have no spare domain: how to get a cheap one", hint: "~$10/year, then the second option" },
      ],
    }),
  );
  if (choice === "workers-dev") return { kind: "workers-dev" };
  if (choice === "throwaway") {
    note(
      [
        "1. Register a cheap domain (Cloudflare Registrar or any registrar), e.g. my-tunnels.dev.",
        "2. Add it to your Cloudflare account and wait until the zone is active.",
        "3. Run `npx captun deploy` again and pick the second option for that zone.",
        "A throwaway domain costs about $10 a year; ACM for the third option is about $10 a month.",
      ].join("\n"),
      "A domain just for tunnels",
      common,
    );
    return undefined;
  }
  const zone = await askZone(io, listZones);
  if (choice === "dedicated") return { kind: "zone", zone, hostname: zone };
  const prefix = answer(
    await text({
      ...common,
      message: `Tunnels go under which subdomain of ${zone}?`,
      placeholder: "captun",
      defaultValue: "captun",
      validate: (value) => (!value || /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(value) ? undefined : "Use one DNS label, e.g. captun"),
    }),
  );
  return { kind: "zone", zone, hostname: `${prefix.toLowerCase()}.${zone}` };
}

async function askZone(io: DeployIo, listZones: (() => Promise<Zone[]>) | undefined): Promise<string> {
  const common = { input: io.input, output: io.output };
  const zones = listZones ? await listZones() : [];
  if (zones.length > 0) {
    return answer(
      await select<string>({ ...common, message: "Which zone?", options: zones.map((zone) => ({ value: zone.name, label: zone.name })) }),
    );
  }
  return answer(
    await text({
      ...common,
      message: "Which zone (a domain on your Cloudflare account)?",
      placeholder: "your-domain.com",
      validate: (value) => (value && /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(value) ? undefined : "Enter a domain such as your-domain.com"),
    }),
  ).toLowerCase();
}

function answer<T>(value: T | symbol): Exclude<T, symbol> {
  if (isCancel(value)) throw new CaptunUsageError("Deploy cancelled; nothing was changed.");
  return value as Exclude<T, symbol>;
}
