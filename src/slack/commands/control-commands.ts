import type { Actor } from '../../campaigns/campaign-service.js';
import { notice } from '../blocks/notice-blocks.js';
import { refusal } from '../campaign-sentences.js';
import type { SlackDeps } from '../slack-deps.js';
import { findCampaign } from './find-campaign.js';
import type { CommandReply, Subcommand } from './subcommand.js';

type Control = 'pause' | 'resume' | 'stop' | 'retry';

const SUMMARY: Record<Control, string> = {
  pause: 'stop dialling for now; calls already ringing finish',
  resume: 'continue a paused campaign',
  stop: 'end a campaign; nobody else is called',
  retry: 'call failed, busy and unanswered contacts again',
};

function done(control: Control, name: string, requeued = 0, running = false): string {
  switch (control) {
    case 'pause':
      return `Paused \`${name}\`. Nothing new is dialled; calls already ringing finish.`;
    case 'resume':
      return `Resumed \`${name}\`.`;
    case 'stop':
      return `Stopped \`${name}\`. Nobody else will be called.`;
    case 'retry':
      return running
        ? `Queued ${requeued} contacts of \`${name}\` to be called again; they are called shortly.`
        : `Queued ${requeued} contacts of \`${name}\` to be called again. \`/campaign start ${name}\` calls them.`;
  }
}

/** pause, resume, stop and retry: same shape, one service call each. */
export function controlCommands(deps: SlackDeps): Subcommand[] {
  return (['pause', 'resume', 'stop', 'retry'] as const).map((control) => ({
    name: control,
    usage: `${control} <name>`,
    summary: SUMMARY[control],
    async run(ctx): Promise<CommandReply> {
      const found = await findCampaign(deps, ctx, control);
      if ('reply' in found) return found.reply;
      const actor: Actor = { userId: ctx.userId };
      const { campaign } = found;
      if (control === 'resume' && campaign.status === 'paused' && deps.service.canManage(campaign, actor)) {
        // Resumed calls must be visible: the bot checks it can still post the campaign's progress.
        const access = await deps.channels.ensure(campaign.progress_channel ?? campaign.channel, ctx.userId);
        if (!access.ok) return { response_type: 'ephemeral', ...notice(`Not resumed, nobody was called: ${access.problem}`) };
      }
      const result = await deps.service[control](found.campaign._id, actor);
      if (!result.ok) return { response_type: 'ephemeral', ...notice(refusal(control, result)) };
      deps.progress.track(result.campaign._id);
      return {
        response_type: 'ephemeral',
        ...notice(done(control, result.campaign.name, result.requeued, result.campaign.status === 'running')),
      };
    },
  }));
}
