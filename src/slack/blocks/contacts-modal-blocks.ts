import type { Button, KnownBlock, ModalView } from '@slack/types';
import type { CampaignFields } from '../../store/campaign-model.js';
import type { CallStatus, ContactFields } from '../../store/contact-model.js';
import { ActionId, BlockId, ViewId } from '../ids.js';
import { escapeText, formatPhone, slackDate, truncate } from './format.js';

export const CONTACTS_PAGE_SIZE = 25;

export const CALL_STATUS_BADGE: Record<CallStatus, string> = {
  pending: ':hourglass_flowing_sand: Pending',
  dialing: ':telephone_receiver: In progress',
  initiated: ':telephone_receiver: In progress',
  unknown: ':grey_question: Checking with Exotel',
  completed: ':white_check_mark: Completed',
  busy: ':red_circle: Busy',
  'no-answer': ':no_bell: No answer',
  failed: ':x: Failed',
  canceled: ':x: Canceled',
  skipped: ':fast_forward: Skipped',
};

export interface ContactsPage {
  campaign: Pick<CampaignFields, '_id' | 'name' | 'title' | 'total_contacts' | 'keys' | 'calling_hours'>;
  contacts: ReadonlyArray<
    Pick<
      ContactFields,
      | 'phone'
      | 'name'
      | 'call_status'
      | 'call_error'
      | 'attempts'
      | 'skip_reason'
      | 'last_outcome'
      | 'next_attempt_at'
      | 'digits'
      | 'answered_by'
      | 'fields'
    >
  >;
  page: number;
  total: number;
}

/** Who answered, when Exotel said: "a person" or "a machine". */
function answered(by: string | null): string {
  const who = by?.toLowerCase();
  return who === 'human' ? ' · answered by a person' : who === 'machine' ? ' · answered by a machine' : '';
}

/** One contact in View: number, name, state (a waiting retry says when), key pressed, extra columns, why. */
export function contactLine(c: ContactsPage['contacts'][number], campaign: ContactsPage['campaign']): string {
  const name = c.name ? ` · ${escapeText(truncate(c.name, 80))}` : '';
  const retrying = c.call_status === 'pending' && c.last_outcome;
  const badge = retrying
    ? `:repeat: Retrying at ${slackDate(c.next_attempt_at, '{time}')} (last: ${OUTCOME_WORD[c.last_outcome!] ?? c.last_outcome})`
    : CALL_STATUS_BADGE[c.call_status];
  const why = c.call_error ? `\n_${escapeText(truncate(c.call_error, 300))}_` : c.skip_reason ? `\n_skipped: ${c.skip_reason}_` : '';
  const attempt = c.attempts > 0 ? ` · attempt ${c.attempts}` : '';
  const meaning = c.digits ? campaign.keys?.[c.digits] : undefined;
  const key = c.digits ? ` · pressed *${escapeText(c.digits)}*${meaning ? ` (${escapeText(meaning)})` : ''}` : '';
  const fields = Object.entries(c.fields ?? {})
    .map(([k, v]) => `${escapeText(k)}: ${escapeText(truncate(v, 60))}`)
    .join(' · ');
  return `${formatPhone(c.phone)}${name}\n${badge}${attempt}${answered(c.answered_by)}${key}${fields ? `\n${fields}` : ''}${why}`;
}

const OUTCOME_WORD: Record<string, string> = { busy: 'busy', 'no-answer': 'no answer', failed: 'could not connect', canceled: 'canceled' };

/** The View modal: one page of contacts with their call-status badges and errors. */
export function contactsModal(p: ContactsPage): ModalView {
  const pages = Math.max(1, Math.ceil(p.total / CONTACTS_PAGE_SIZE));
  const first = p.page * CONTACTS_PAGE_SIZE + 1;
  const last = Math.min(p.total, first + p.contacts.length - 1);
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `*${escapeText(p.campaign.title)}* \`${p.campaign.name}\`\n${p.total === 0 ? 'No contacts yet.' : `Contacts ${first}–${last} of ${p.total}`}`,
          3000,
        ),
      },
    },
    { type: 'divider' },
  ];
  for (const c of p.contacts) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(contactLine(c, p.campaign), 3000) } });
  }
  const id = String(p.campaign._id);
  const nav: Button[] = [];
  if (p.page > 0) {
    nav.push({
      type: 'button',
      action_id: `${ActionId.contactsPage}_prev`,
      text: { type: 'plain_text', text: 'Previous' },
      value: JSON.stringify({ id, page: p.page - 1 }),
    });
  }
  if (p.page < pages - 1) {
    nav.push({
      type: 'button',
      action_id: `${ActionId.contactsPage}_next`,
      text: { type: 'plain_text', text: 'Next' },
      value: JSON.stringify({ id, page: p.page + 1 }),
    });
  }
  if (nav.length > 0) blocks.push({ type: 'actions', block_id: BlockId.contactsNav, elements: nav });
  return {
    type: 'modal',
    callback_id: ViewId.contacts,
    title: { type: 'plain_text', text: 'Contacts' },
    close: { type: 'plain_text', text: 'Close' },
    private_metadata: JSON.stringify({ id, page: p.page }),
    blocks,
  };
}
