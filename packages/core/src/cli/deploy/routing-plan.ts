import { CaptunUsageError } from "../args.ts";

/** Where the deployed Worker answers, and therefore how tunnels are routed. */
export type RoutingPlan =
  /** `https://<worker>.<account>.workers.dev/<name>/…`: folder routing, free, no DNS. */
  | { kind: "workers-dev" }
  /**
   * `https://<name>.<hostname>/…` via the route `*.<hostname>/*` on `zone`. When `hostname` is
   * below the zone (`captun.example.com`), the second-level wildcard needs an ACM certificate.
   */
  | { kind: "zone"; zone: string; hostname: string };

export function routePattern(plan: Extract<RoutingPlan, { kind: "zone" }>): string {
  return `*.${plan.hostname}/*`;
}

/** Universal SSL covers `*.zone` only; anything deeper needs an Advanced Certificate Manager pack. */
export function needsAdvancedCertificate(plan: RoutingPlan): boolean {
  return plan.kind === "zone" && plan.hostname !== plan.zone;
}

/** The plan for `--route '*.host/*' [--zone zone]`, or workers.dev without `--route`. */
export function planFromFlags(route: string | undefined, zone: string | undefined): RoutingPlan {
  if (!route) {
    if (zone) throw new CaptunUsageError(`--zone needs a --route too, e.g. --route '*.${zone}/*' --zone ${zone}.`);
    return { kind: "workers-dev" };
  }
  const match = /^\*\.([a-z0-9.-]+?)\.?\/\*$/i.exec(route.trim());
  if (!match) {
    throw new CaptunUsageError(
      `--route must look like '*.tunnels.example.com/*' (tunnels become <name>.tunnels.example.com), not '${route}'.`,
    );
  }
  const hostname = match[1]!.toLowerCase();
  const zoneName = (zone ?? hostname).toLowerCase().replace(/\.$/, "");
  if (hostname !== zoneName && !hostname.endsWith(`.${zoneName}`)) {
    throw new CaptunUsageError(`The route host ${hostname} is not inside the zone ${zoneName}: pass the zone it belongs to with --zone.`);
  }
  return { kind: "zone", zone: zoneName, hostname };
}
