import { parseWhen } from '../../campaigns/when.js';
import { notice } from '../blocks/notice-blocks.js';
import { startSummaryMessage } from '../blocks/start-summary-blocks.js';
import { refusal } from '../campaign-sentences.js';
import { COMMAND } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { startSummaryOf } from '../start-summary.js';
import { findCampaign } from './find-campaign.js';
import type { Subcommand } from './subcommand.js';

/** `/campaign schedule <name> <when>`: the start summary with the time, and Schedule / Cancel. */
export function scheduleCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'schedule',
    usage: 'schedule <name> <when>',
    summary: 'start a campaign later (e.g. tomorrow 10:00), even if the bot restarts meanwhile',
    async run(ctx) {
      const found = await findCampaign(deps, ctx, 'schedule', { start: 'schedule' });
      if ('reply' in found) return found.reply;
      const { campaign } = found;
      const whenText = ctx.args.slice(1).join(' ');
      if (!whenText) {
        return {
          response_type: 'ephemeral',
          ...notice(
            `When should \`${campaign.name}\` start? e.g. \`${COMMAND} schedule ${campaign.name} tomorrow 10:00\` (times are ${campaign.calling_hours.tz} unless you add a zone).`,
          ),
        };
      }
      const when = parseWhen(whenText, new Date(), campaign.calling_hours.tz);
      if (!when.ok)
        return {
          response_type: 'ephemeral',
          ...notice(`I could not read "${whenText.slice(0, 60).replace(/[`<>&]/g, '')}": ${when.problem}`),
        };
      if (campaign.status === 'running' || campaign.status === 'paused') {
        return { response_type: 'ephemeral', ...notice(refusal('schedule', { ok: false, reason: 'wrong-status', campaign })) };
      }
      const summary = deps.service.summary(campaign);
      if (summary.toCall === 0)
        return { response_type: 'ephemeral', ...notice(refusal('schedule', { ok: false, reason: 'nothing-to-call', campaign })) };
      return { response_type: 'ephemeral', ...startSummaryMessage(startSummaryOf(deps, summary, when.value.at)) };
    },
  };
}

/** `/campaign unschedule <name>`: back to a draft; nothing starts. */
export function unscheduleCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'unschedule',
    usage: 'unschedule <name>',
    summary: 'cancel a scheduled start',
    async run(ctx) {
      const found = await findCampaign(deps, ctx, 'unschedule', { manage: 'unschedule' });
      if ('reply' in found) return found.reply;
      const result = await deps.service.unschedule(found.campaign._id, { userId: ctx.userId });
      if (!result.ok) return { response_type: 'ephemeral', ...notice(refusal('unschedule', result)) };
      return {
        response_type: 'ephemeral',
        ...notice(
          `\`${result.campaign.name}\` will not start by itself any more. \`${COMMAND} start ${result.campaign.name}\` or \`${COMMAND} schedule\` it again.`,
        ),
      };
    },
  };
}
