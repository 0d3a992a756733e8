import type { KnownBlock } from '@slack/types';
import { truncate } from './format.js';

/** A one-sentence answer (errors, confirmations): mrkdwn text in one section. */
export function notice(text: string): { text: string; blocks: KnownBlock[] } {
  const shown = truncate(text, 3000);
  return { text: shown, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: shown } }] };
}
