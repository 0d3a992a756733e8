import type { KnownBlock, ModalView } from '@slack/types';
import type { CampaignFields } from '../../store/campaign-model.js';
import { BlockId, InputId, ViewId } from '../ids.js';
import { escapeText, truncate } from './format.js';
import { rulesBlocks, type RulesInitial } from './rules-blocks.js';

export interface ModalContext {
  /** Where the command was typed: the import report goes there. */
  channel: string | null;
}

/** What each call says (the Greeting applet reads it) and what its keys mean (the Passthru applet records them). */
function callContentBlocks(initial: { message_template?: string | null; keys?: Record<string, string> } = {}): KnownBlock[] {
  const keys = Object.entries(initial.keys ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    {
      type: 'input',
      block_id: BlockId.template,
      optional: true,
      label: { type: 'plain_text', text: 'Message read to each person' },
      hint: {
        type: 'plain_text',
        text: 'Optional. {name}, {number} (last 4 digits) and your CSV columns, e.g. Namaste {name}, your EMI of Rs {amount} is due on {due_date}. Press 1 if you have paid.',
      },
      element: {
        type: 'plain_text_input',
        action_id: InputId.value,
        multiline: true,
        max_length: 1000,
        ...(initial.message_template ? { initial_value: initial.message_template } : {}),
      },
    },
    {
      type: 'input',
      block_id: BlockId.keys,
      optional: true,
      label: { type: 'plain_text', text: 'Keys' },
      hint: {
        type: 'plain_text',
        text: 'Optional. What each key means, e.g. 1=paid, 2=call me back, 9=do not call (adds the number to the do-not-call list).',
      },
      // Room for the longest keys parseKeys accepts, as they are shown again: 12 × "k=" + 40 characters, ", " between.
      element: { type: 'plain_text_input', action_id: InputId.value, max_length: 600, ...(keys ? { initial_value: keys } : {}) },
    },
  ];
}

/** The contacts part, shared by create and add: a CSV file or a pasted list. */
function contactBlocks(): KnownBlock[] {
  return [
    {
      type: 'input',
      block_id: BlockId.file,
      optional: true,
      label: { type: 'plain_text', text: 'Contacts file (CSV)' },
      hint: { type: 'plain_text', text: 'Columns number (or phone / mobile), name, description, in any order; up to 10 MB.' },
      element: { type: 'file_input', action_id: InputId.value, filetypes: ['csv', 'txt'], max_files: 1 },
    },
    {
      type: 'input',
      block_id: BlockId.paste,
      optional: true,
      label: { type: 'plain_text', text: 'Or paste numbers' },
      hint: { type: 'plain_text', text: 'One contact per line: number, name, description.' },
      element: { type: 'plain_text_input', action_id: InputId.value, multiline: true, max_length: 3000 },
    },
  ];
}

export function createModal(ctx: ModalContext, rules: RulesInitial, name = ''): ModalView {
  return {
    type: 'modal',
    callback_id: ViewId.create,
    title: { type: 'plain_text', text: 'New campaign' },
    submit: { type: 'plain_text', text: 'Create' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify({ channel: ctx.channel }),
    blocks: [
      {
        type: 'input',
        block_id: BlockId.name,
        label: { type: 'plain_text', text: 'Name' },
        hint: { type: 'plain_text', text: 'What people type: /campaign start <name>. Lowercase letters, digits and dashes.' },
        element: {
          type: 'plain_text_input',
          action_id: InputId.value,
          max_length: 63,
          ...(name ? { initial_value: truncate(name, 63) } : {}),
          placeholder: { type: 'plain_text', text: 'emi-reminder' },
        },
      },
      {
        type: 'input',
        block_id: BlockId.title,
        label: { type: 'plain_text', text: 'Title' },
        element: {
          type: 'plain_text_input',
          action_id: InputId.value,
          max_length: 150,
          placeholder: { type: 'plain_text', text: 'EMI reminder — November' },
        },
      },
      {
        type: 'input',
        block_id: BlockId.description,
        optional: true,
        label: { type: 'plain_text', text: 'Description' },
        element: { type: 'plain_text_input', action_id: InputId.value, multiline: true, max_length: 3000 },
      },
      ...contactBlocks(),
      ...callContentBlocks(),
      {
        type: 'input',
        block_id: BlockId.callerId,
        optional: true,
        label: { type: 'plain_text', text: 'Caller id (ExoPhone)' },
        hint: { type: 'plain_text', text: 'Leave empty to use the account’s EXOTEL_CALLER_ID.' },
        element: { type: 'plain_text_input', action_id: InputId.value, max_length: 20 },
      },
      ...rulesBlocks(rules, { withStart: true }),
    ],
  };
}

/** `/campaign edit`: the campaign's title, description, caller id and rules, for a campaign that is not running. */
export function editModal(
  campaign: Pick<CampaignFields, '_id' | 'name' | 'title' | 'description' | 'caller_id' | 'message_template' | 'keys'> & RulesInitial,
): ModalView {
  return {
    type: 'modal',
    callback_id: ViewId.edit,
    title: { type: 'plain_text', text: 'Edit campaign' },
    submit: { type: 'plain_text', text: 'Save' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify({ id: String(campaign._id) }),
    blocks: [
      { type: 'context', elements: [{ type: 'mrkdwn', text: `\`${campaign.name}\`` }] },
      {
        type: 'input',
        block_id: BlockId.title,
        label: { type: 'plain_text', text: 'Title' },
        element: { type: 'plain_text_input', action_id: InputId.value, max_length: 150, initial_value: truncate(campaign.title, 150) },
      },
      {
        type: 'input',
        block_id: BlockId.description,
        optional: true,
        label: { type: 'plain_text', text: 'Description' },
        element: {
          type: 'plain_text_input',
          action_id: InputId.value,
          multiline: true,
          max_length: 3000,
          ...(campaign.description ? { initial_value: truncate(campaign.description, 3000) } : {}),
        },
      },
      {
        type: 'input',
        block_id: BlockId.callerId,
        optional: true,
        label: { type: 'plain_text', text: 'Caller id (ExoPhone)' },
        hint: { type: 'plain_text', text: 'Leave empty to use the account’s EXOTEL_CALLER_ID.' },
        element: {
          type: 'plain_text_input',
          action_id: InputId.value,
          max_length: 20,
          ...(campaign.caller_id ? { initial_value: campaign.caller_id } : {}),
        },
      },
      ...callContentBlocks(campaign),
      ...rulesBlocks(campaign, { withStart: false }),
    ],
  };
}

export function addContactsModal(ctx: ModalContext, campaign: Pick<CampaignFields, '_id' | 'name' | 'title'>): ModalView {
  return {
    type: 'modal',
    callback_id: ViewId.addContacts,
    title: { type: 'plain_text', text: 'Add contacts' },
    submit: { type: 'plain_text', text: 'Add' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify({ channel: ctx.channel, id: String(campaign._id) }),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(
            `Add contacts to *${escapeText(campaign.title)}* \`${campaign.name}\`. Numbers it already has are skipped as duplicates.`,
            3000,
          ),
        },
      },
      ...contactBlocks(),
    ],
  };
}
