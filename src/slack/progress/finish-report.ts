// When a campaign ends (completed, stopped or expired): a report in its progress thread that mentions whoever started
// it, the chart of its calls per hour, and — when it ended before calling everyone — the numbers never called. The
// cost is what Exotel has reported so far; prices come minutes after each call, so the report is edited once the
// last one is in. Each step is recorded (ProgressMarks) after it happened: a crash repeats a step, never skips one.
import type { WebClient } from '@slack/web-api';
import { reportOf, type HourOutcomes } from '../../campaigns/campaign-report.js';
import type { ProgressMarks } from '../../campaigns/progress-marks.js';
import type { Logger } from '../../logger.js';
import type { CampaignFields } from '../../store/campaign-model.js';
import { finishReportMessage } from '../blocks/finish-report-blocks.js';
import { escapeText, formatPhone, truncate, type ShowPhone } from '../blocks/format.js';
import { renderOutcomeChart, type HourlyOutcomes } from '../chart/outcome-chart.js';
import { uploadFile } from '../upload-file.js';

/** Numbers never called, listed at most this many (the export has them all). */
const NEVER_CALLED_LISTED = 200;

export function chartHours(hours: readonly HourOutcomes[]): HourlyOutcomes[] {
  return hours.map((h) => ({
    hour: h.hour,
    completed: h.counts.completed,
    busy: h.counts.busy,
    noAnswer: h.counts['no-answer'],
    failed: h.counts.failed,
    canceled: h.counts.canceled,
    ...(h.human > 0 ? { answeredByPerson: h.human } : {}),
  }));
}

/** The chart of a campaign's calls per hour, as a PNG. */
export function campaignChart(campaign: CampaignFields): Promise<Buffer> {
  return renderOutcomeChart({
    title: campaign.title || campaign.name,
    timeZone: campaign.calling_hours.tz,
    hours: chartHours(reportOf(campaign).hours),
  });
}

export class FinishReport {
  constructor(
    private readonly client: WebClient,
    private readonly marks: ProgressMarks,
    private readonly log: Logger,
    /** How a number is shown in channel messages (masked unless SHOW_FULL_NUMBERS). */
    private readonly showPhone: ShowPhone = formatPhone,
  ) {}

  /** Posts whatever of the report is still missing for an ended campaign; throws to be tried again. */
  async post(campaign: CampaignFields): Promise<void> {
    const channel = campaign.progress_channel!;
    const thread = campaign.progress_ts!;
    const report = reportOf(campaign);
    if (!campaign.report_ts) {
      if (report.neverCalled > 0) await this.#listNeverCalled(campaign, channel, thread);
      const message = finishReportMessage({ campaign, report });
      const res = await this.client.chat.postMessage({ channel, thread_ts: thread, ...message });
      if (res.ts && !(await this.marks.recordReport(campaign._id, res.ts, report.cost.pending === 0))) {
        await this.client.chat.delete({ channel, ts: res.ts }).catch(() => {});
      }
    }
    if (!campaign.chart_posted && report.placed > 0) {
      const png = await campaignChart(campaign);
      await uploadFile(
        this.client,
        { data: png },
        {
          channel,
          threadTs: thread,
          filename: `${campaign.name}-calls-per-hour.png`,
          title: `${campaign.title || campaign.name} — calls per hour`,
          comment: 'Calls per hour by outcome, with the answer rate.',
        },
      );
      await this.marks.chartPosted(campaign._id);
    }
  }

  /** Edits reports that went out before every price was in, once it is. */
  async completeCosts(): Promise<void> {
    for (const campaign of await this.marks.reportsAwaitingCost()) {
      if (campaign.stats.cost_pending > 0 || !campaign.progress_channel) continue;
      try {
        await this.client.chat.update({
          channel: campaign.progress_channel,
          ts: campaign.report_ts!,
          ...finishReportMessage({ campaign, report: reportOf(campaign) }),
        });
        await this.marks.reportCostFinal(campaign._id);
      } catch (error) {
        this.log.warn({ err: error, campaign: String(campaign._id) }, 'could not add the final cost to the report; will try again');
      }
    }
  }

  async #listNeverCalled(campaign: CampaignFields, channel: string, thread: string): Promise<void> {
    const contacts = await this.marks.neverCalled(campaign._id, NEVER_CALLED_LISTED);
    if (contacts.length === 0) return;
    const lines = contacts.map((c) => `• ${this.showPhone(c.phone)}${c.name ? ` · ${escapeText(truncate(c.name, 60))}` : ''}`);
    const more = report(campaign) > contacts.length ? `\n…and ${report(campaign) - contacts.length} more: the export lists them all.` : '';
    for (let i = 0, _part = 1; i < lines.length; i += 50, _part++) {
      const head = i === 0 ? `*Never called* (the campaign ended before their turn):\n` : '';
      const tail = i + 50 >= lines.length ? more : '';
      await this.client.chat.postMessage({
        channel,
        thread_ts: thread,
        text: truncate(`${head}${lines.slice(i, i + 50).join('\n')}${tail}`, 3900),
      });
    }
  }
}

function report(campaign: CampaignFields): number {
  return reportOf(campaign).neverCalled;
}
