import type { ModalView } from '@slack/types';
import { BlockId, InputId, ViewId } from '../ids.js';
import { notice } from './notice-blocks.js';
import { startSummaryMessage, type StartSummary } from './start-summary-blocks.js';

/** Start from the Home tab: the same summary as `/campaign start`, plus the channel for the progress message. */
export function startModal(summary: StartSummary, channel: string | null): ModalView {
  const [section] = startSummaryMessage(summary).blocks;
  return {
    type: 'modal',
    callback_id: ViewId.startModal,
    title: { type: 'plain_text', text: 'Start campaign' },
    submit: { type: 'plain_text', text: 'Start' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify({ id: String(summary.campaign._id) }),
    blocks: [
      section!,
      {
        type: 'input',
        block_id: BlockId.startChannel,
        label: { type: 'plain_text', text: 'Post progress in' },
        element: {
          type: 'conversations_select',
          action_id: InputId.channel,
          ...(channel ? { initial_conversation: channel } : {}),
          filter: { include: ['public', 'private'], exclude_bot_users: true },
        },
      },
    ],
  };
}

/** A modal that only says something (after a refused start from the Home tab). */
export function messageModal(title: string, text: string): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: title.slice(0, 24) },
    close: { type: 'plain_text', text: 'Close' },
    blocks: notice(text).blocks,
  };
}
