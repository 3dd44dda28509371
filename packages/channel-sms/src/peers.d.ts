// Types for the untyped peer used in agreement tests and the benchmark (dev dependency only).
declare module 'split-sms' {
  interface SplitSmsPart {
    content?: string;
    length: number;
    bytes: number;
  }
  interface SplitSmsResult {
    characterSet: 'GSM' | 'Unicode';
    parts: SplitSmsPart[];
    bytes: number;
    length: number;
    remainingInPart: number;
  }
  export function split(message: string, options?: { summary?: boolean; characterset?: 'GSM' | 'Unicode' }): SplitSmsResult;
}
