export async function deployCommand(_argv: string[]): Promise<number> {
  return 1;
}
