// What the command line does with campaigns, in plain sentences. Every change is one CampaignTransitions status change,
// exactly as a click in Slack makes it, so engines in other processes stop a run at their next tick (renewing its
// lease, they find the campaign no longer running) and the dial gate refuses any call already waiting for its turn.
import { DateTime } from 'luxon';
import { CampaignEvents } from '../campaigns/campaign-events.js';
import { CampaignTransitions, TRANSITIONS } from '../campaigns/campaign-transitions.js';
import type { CampaignFields } from '../store/campaign-model.js';
import type { Store } from '../store/store.js';
import { stopAll, stopAllSentence } from '../ops/stop-all.js';

export interface CliResult {
  /** 0: done; 1: refused (not found, wrong status, which workspace) — the text says why. */
  code: 0 | 1;
  text: string;
}

export interface OperationsOptions {
  /** How long stop and pause wait for the bot dialling the campaign to let go of it. Default 20 s. */
  releaseWaitMs?: number;
  /** Shown as the reason in Slack's progress message: who did it, from where. */
  who?: string;
}

type Change = 'stop' | 'pause' | 'resume';

const DONE: Record<Change, string> = {
  stop: 'Stopped {name}. Nobody else will be called; calls already ringing finish.',
  pause: 'Paused {name}. Nothing new is dialled; calls already ringing finish; `resume {name}` continues it.',
  resume: 'Resumed {name}. A running bot picks it up within a few seconds.',
};

const refused = (text: string): CliResult => ({ code: 1, text });

export class CampaignOperations {
  readonly #store: Store;
  readonly #transitions: CampaignTransitions;
  readonly #releaseWaitMs: number;
  readonly #who: string;

  constructor(store: Store, options: OperationsOptions = {}) {
    this.#store = store;
    // Its own events: nobody in this process listens; other processes learn of the change from the database.
    this.#transitions = new CampaignTransitions(store, new CampaignEvents());
    this.#releaseWaitMs = options.releaseWaitMs ?? 20_000;
    this.#who = options.who ?? 'the command line';
  }

  /** The workspace to act on: the one asked for, or the only one the database holds. */
  async team(requested: string | null): Promise<{ ok: true; team: string } | { ok: false; result: CliResult }> {
    const teams = (await this.#store.Campaign.aggregate<{ _id: string }>([{ $group: { _id: '$team_id' } }])).map((t) => t._id).sort();
    if (requested !== null) {
      if (teams.includes(requested)) return { ok: true, team: requested };
      return {
        ok: false,
        result: refused(`This database has no campaign of workspace ${requested}${teams.length ? `; it has ${teams.join(', ')}` : ''}.`),
      };
    }
    if (teams.length === 1) return { ok: true, team: teams[0]! };
    if (teams.length === 0) return { ok: false, result: refused('This database holds no campaign yet.') };
    return {
      ok: false,
      result: refused(
        `This database holds campaigns of ${teams.length} workspaces (${teams.join(', ')}); say which with --team, e.g. --team ${teams[0]}.`,
      ),
    };
  }

  async list(team: string): Promise<CliResult> {
    const campaigns = (await this.#store.Campaign.find({ team_id: team }).sort({ updated_at: -1 }).limit(200).lean()) as CampaignFields[];
    if (campaigns.length === 0) return { code: 0, text: `Workspace ${team} has no campaign.` };
    const width = Math.max(...campaigns.map((c) => c.name.length));
    const lines = campaigns.map((c) => `${c.name.padEnd(width)}  ${c.status.padEnd(9)}  ${progressOf(c)}`);
    return { code: 0, text: lines.join('\n') };
  }

  async status(team: string, name: string): Promise<CliResult> {
    const campaign = await this.#find(team, name);
    if (!campaign) return this.#notFound(team, name);
    return { code: 0, text: describe(campaign) };
  }

  async change(team: string, name: string, change: Change): Promise<CliResult> {
    const campaign = await this.#find(team, name);
    if (!campaign) return this.#notFound(team, name);
    const result = await this.#transitions.apply(campaign._id, change, { reason: `${DONE_WORD[change]} from ${this.#who}.` });
    if (!result.ok) {
      const now = result.campaign?.status ?? 'gone';
      const from = TRANSITIONS[change].from.join(', ');
      return refused(
        `${campaign.name} is ${now}; only a campaign that is ${from} can be ${DONE_WORD[change].toLowerCase()}. Nothing was changed.`,
      );
    }
    let text = DONE[change].replaceAll('{name}', campaign.name);
    if (change !== 'resume') text += ` ${await this.#released(result.campaign)}`;
    return { code: 0, text };
  }

  async stopAll(team: string): Promise<CliResult> {
    const campaigns = (await this.#store.Campaign.find(
      { team_id: team, status: { $in: ['running', 'paused', 'scheduled'] } },
      { _id: 1, name: 1, status: 1 },
    ).lean()) as CampaignFields[];
    const result = await stopAll(campaigns, (c) =>
      this.#transitions.apply(c._id, 'stop', { reason: `Stopped (stop-all) from ${this.#who}.` }),
    );
    return { code: 0, text: stopAllSentence(result) };
  }

  async #find(team: string, name: string): Promise<CampaignFields | null> {
    const key = name.trim().toLowerCase();
    return (await this.#store.Campaign.findOne({ team_id: team, name: key }).lean()) as CampaignFields | null;
  }

  async #notFound(team: string, name: string): Promise<CliResult> {
    const key = name.trim().toLowerCase();
    const names = (await this.#store.Campaign.find({ team_id: team }, { name: 1 }).limit(1000).lean()).map((c) => c.name);
    const close = names.filter((n) => n.includes(key) || key.includes(n)).slice(0, 3);
    const hint = close.length > 0 ? ` Did you mean ${close.join(', ')}?` : ' `npm run campaign -- list` shows the names.';
    return refused(`There is no campaign named ${name} in workspace ${team}.${hint}`);
  }

  /**
   * Waits until no bot holds the campaign any more (its run ended: requests in flight were recorded and the lease
   * given back), so the person at the terminal knows dialling has really stopped.
   */
  async #released(campaign: CampaignFields): Promise<string> {
    const deadline = Date.now() + this.#releaseWaitMs;
    for (;;) {
      const now = (await this.#store.Campaign.findById(campaign._id, { runner_id: 1, lease_expires_at: 1 }).lean()) as Pick<
        CampaignFields,
        'runner_id' | 'lease_expires_at'
      > | null;
      const held = now?.runner_id && now.lease_expires_at && now.lease_expires_at.getTime() > Date.now();
      if (!held) return 'No bot is dialling it now.';
      if (Date.now() >= deadline) {
        return `A bot (${now.runner_id}) still holds it; it stops dialling it at its next check, by ${now.lease_expires_at!.toISOString()} at the latest.`;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

const DONE_WORD: Record<Change, string> = { stop: 'Stopped', pause: 'Paused', resume: 'Resumed' };

/** `45/100 done (5 not reached)`, the progress line of Slack's message in plain words. */
function progressOf(c: CampaignFields): string {
  const done = c.counts.completed + c.calls_failed;
  return `${done}/${c.total_contacts} done (${c.calls_failed} not reached)`;
}

function describe(c: CampaignFields): string {
  const n = c.counts;
  const when = (d: Date | null) =>
    d
      ? DateTime.fromJSDate(d)
          .setZone(c.calling_hours?.tz ?? 'UTC')
          .toFormat('yyyy-MM-dd HH:mm ZZZZ')
      : null;
  const lines = [`${c.name} (${c.title}) is ${c.status}${c.mode === 'rehearsal' ? ', in rehearsal: nobody is really called' : ''}.`];
  if (c.status_reason) lines.push(c.status_reason);
  lines.push(
    `${progressOf(c)}: ${n.completed} completed, ${n.busy} busy, ${n['no-answer']} no answer, ${n.failed} could not connect, ${n.canceled} canceled; ` +
      `${n.dialing + n.initiated} in progress, ${n.unknown} being checked with Exotel, ${n.pending} waiting, ${n.retrying} retrying, ${n.skipped} skipped.`,
  );
  if (c.started_at) lines.push(`Started ${when(c.started_at)}${c.started_by ? ` by ${c.started_by}` : ''}.`);
  if (c.scheduled_at && c.status === 'scheduled') lines.push(`Starts ${when(c.scheduled_at)}.`);
  if (c.last_action)
    lines.push(`Last change: ${c.last_action.verb}${c.last_action.by ? ` by ${c.last_action.by}` : ''} at ${when(c.last_action.at)}.`);
  if (c.runner_id && c.lease_expires_at && c.lease_expires_at.getTime() > Date.now()) lines.push(`Dialled by ${c.runner_id}.`);
  return lines.join('\n');
}
