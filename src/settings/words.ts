// Splits a command line into words the way a shell does for quoting only: whitespace separates
// words, '...' and "..." group them, a backslash escapes the next character (inside "..." only
// before " \ $ `). Nothing is expanded: no variables, globs, pipes or redirections, so the words
// are exactly what gets executed and a signal reaches the command itself, not a shell.

export type SplitResult = { words: string[] } | { problem: string };

const DOUBLE_QUOTE_ESCAPES = new Set(['"', '\\', '$', '`']);

export function splitWords(text: string): SplitResult {
  const words: string[] = [];
  let word = '';
  /** A word has started (an empty quoted word '' still counts). */
  let started = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && DOUBLE_QUOTE_ESCAPES.has(text[i + 1] ?? '')) word += text[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else if (c === "'" || c === '"') {
      quote = c;
      started = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return { problem: 'ends with a lone backslash' };
      word += text[++i];
      started = true;
    } else {
      word += c;
      started = true;
    }
  }
  if (quote !== undefined) return { problem: `has an unterminated ${quote === "'" ? 'single' : 'double'} quote` };
  if (started) words.push(word);
  return { words };
}
