import type { KnownBlock } from '@slack/types';
import { COMMAND } from '../ids.js';
import { escapeText } from './format.js';

export interface HelpEntry {
  usage: string;
  summary: string;
}

/** The help answer: one line per subcommand, optionally after a sentence saying what went wrong. */
export function helpMessage(entries: readonly HelpEntry[], notice?: string): { text: string; blocks: KnownBlock[] } {
  const lines = entries.map((e) => `\`${COMMAND} ${escapeText(e.usage)}\` — ${e.summary}`);
  const text = [notice, `*${COMMAND}* commands:`, ...lines].filter(Boolean).join('\n');
  const blocks: KnownBlock[] = [];
  if (notice) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: notice } });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: [`*${COMMAND}* commands:`, ...lines].join('\n') } });
  return { text, blocks };
}
