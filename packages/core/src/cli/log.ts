import pc from "picocolors";

/** The CLI's one logger: status lines to stdout, problems to stderr. */
export const log = {
  info(message: string): void {
    process.stdout.write(`${message}\n`);
  },
  step(message: string): void {
    process.stdout.write(`${pc.cyan("◇")} ${message}\n`);
  },
  success(message: string): void {
    process.stdout.write(`${pc.green("✔")} ${message}\n`);
  },
  dim(message: string): void {
    process.stdout.write(`${pc.dim(message)}\n`);
  },
  warn(message: string): void {
    process.stderr.write(`${pc.yellow("▲")} ${message}\n`);
  },
  error(message: string): void {
    process.stderr.write(`${pc.red("✖")} ${message}\n`);
  },
};

/** `➜ Label:  value` lines, the way dev servers print their URLs. */
export function urlLine(label: string, url: string): string {
  return `  ${pc.green("➜")}  ${pc.bold(`${label}:`.padEnd(8))} ${pc.cyan(url)}`;
}
