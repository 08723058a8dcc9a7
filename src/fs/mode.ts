/** Permission bits in octal, such as "600", for messages and evidence. */
export function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(3, '0');
}
