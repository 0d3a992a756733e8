import { notice } from '../blocks/notice-blocks.js';
import { STOP_ALL_STATUSES, stopAll, stopAllSentence } from '../../ops/stop-all.js';
import type { SlackDeps } from '../slack-deps.js';
import type { Subcommand } from './subcommand.js';

/** More campaigns than any workspace keeps; list() returns the most recently changed first. */
const SCAN_LIMIT = 10_000;

/** `/campaign stop-all`: admins stop every running, paused and scheduled campaign of the workspace at once. */
export function stopAllCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'stop-all',
    usage: 'stop-all',
    summary: 'admins: stop every running, paused and scheduled campaign of this workspace',
    async run(ctx) {
      if (!deps.service.isAdmin(ctx.userId)) {
        return {
          response_type: 'ephemeral',
          ...notice(
            'Only the bot’s admins (`CAMPAIGN_ADMINS`) can stop every campaign at once. Stop your own with `/campaign stop <name>`, or ask an admin.',
          ),
        };
      }
      const campaigns = (await deps.service.list(ctx.teamId, SCAN_LIMIT)).filter((c) => STOP_ALL_STATUSES.includes(c.status));
      const result = await stopAll(campaigns, async (campaign) => {
        const done = await deps.service.stop(campaign._id, { userId: ctx.userId });
        if (done.ok) deps.progress.track(done.campaign._id);
        return done;
      });
      deps.log.warn({ user: ctx.userId, team: ctx.teamId, stopped: result.stopped.length }, 'stop-all');
      return { response_type: 'ephemeral', ...notice(stopAllSentence(result, (name) => `\`${name}\``)) };
    },
  };
}
