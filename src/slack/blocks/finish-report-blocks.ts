import type { KnownBlock } from '@slack/types';
import type { CampaignReport } from '../../campaigns/campaign-report.js';
import type { CampaignFields } from '../../store/campaign-model.js';
import { ActionId, BlockId } from '../ids.js';
import { duration, escapeText, truncate } from './format.js';

export interface FinishReportView {
  campaign: Pick<CampaignFields, '_id' | 'name' | 'title' | 'status' | 'started_by' | 'owner' | 'total_contacts'>;
  report: CampaignReport;
}

const VERB: Record<string, string> = { completed: 'finished', stopped: 'was stopped', expired: 'ended at its end date' };

/** Rupees with two decimals and Indian digit grouping: 123456.5 → "Rs 1,23,456.50". */
export function rupees(amount: number): string {
  return `Rs ${amount.toLocaleString('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function costText(cost: CampaignReport['cost']): string {
  if (cost.pending > 0) return `cost not reported yet (Exotel reports prices a few minutes after each call; ${cost.pending} to come)`;
  const missing = cost.missing > 0 ? ` (${cost.missing} calls without a reported price)` : '';
  return `${rupees(cost.amount)}${missing}`;
}

function field(label: string, value: string) {
  return { type: 'mrkdwn' as const, text: `*${label}*\n${value}` };
}

/** The report posted in the progress thread when a campaign ends; it mentions whoever started it. */
export function finishReportMessage(v: FinishReportView): { text: string; blocks: KnownBlock[] } {
  const { campaign, report: r } = v;
  const title = escapeText(campaign.title || campaign.name);
  const who = campaign.started_by ?? campaign.owner;
  const verb = VERB[campaign.status] ?? 'ended';
  const headline = `<@${who}> *${title}* ${verb}: ${r.completed} of ${campaign.total_contacts} calls completed, ${r.notReached} not reached.`;
  const rate =
    r.answerRate === null
      ? 'no calls placed'
      : `${Math.round(r.answerRate * 100)}% of ${r.placed} calls answered${r.answerRateByPerson ? ' by a person' : ''}`;
  const fields = [
    field('Completed', String(r.completed)),
    field('Busy', String(r.busy)),
    field('No answer', String(r.noAnswer)),
    field('Could not connect', String(r.couldNotConnect)),
    field('Answer rate', rate),
    field('Talk time', r.talkSeconds > 0 ? duration(r.talkSeconds * 1000) : 'none'),
    field('Ran for', r.ranMs === null ? 'unknown' : duration(r.ranMs)),
    field('Cost', costText(r.cost)),
  ];
  if (r.neverCalled > 0) fields.push(field('Never called', String(r.neverCalled)));
  if (r.skipped > 0) fields.push(field('Skipped', String(r.skipped)));
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(headline, 3000) } },
    { type: 'section', fields: fields.slice(0, 10) },
  ];
  if (r.keys.length > 0) {
    const keys = r.keys.map((k) => `*${escapeText(k.key)}*${k.meaning ? ` ${escapeText(k.meaning)}` : ''}: ${k.presses}`).join(' · ');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(`Keys pressed: ${keys}`, 3000) } });
  }
  const notes = [r.notReached > 0 ? 'Numbers not reached are listed above in this thread.' : 'Every number called was reached.'];
  // The list of numbers never called is posted before this report (finish-report.ts), so it sits just above it.
  if (r.neverCalled > 0) notes.push('Numbers never called are listed just above this report.');
  blocks.push(
    { type: 'context', elements: [{ type: 'mrkdwn', text: notes.join(' ') }] },
    {
      type: 'actions',
      block_id: BlockId.reportActions,
      elements: [
        { type: 'button', action_id: ActionId.reportExport, text: { type: 'plain_text', text: 'Export' }, value: String(campaign._id) },
      ],
    },
  );
  // The notification text is mrkdwn too: the title is shown escaped, so a title "<!channel>" pings nobody.
  const text = `${title} ${verb}: ${r.completed} of ${campaign.total_contacts} calls completed, ${r.notReached} not reached, ${costText(r.cost)}.`;
  return { text, blocks };
}
