import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { notice } from '../blocks/notice-blocks.js';
import { refusal } from '../campaign-sentences.js';
import type { SlackDeps } from '../slack-deps.js';
import { campaignIdOf } from './start-confirm.js';

type Args = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;

/**
 * Pause, Resume and Stop on the progress message. The message itself is redrawn by the progress reporter. Resume
 * first makes sure the bot can still post there: a campaign paused because Slack refused its message stays paused.
 */
export function campaignControl(deps: SlackDeps, control: 'pause' | 'resume' | 'stop') {
  return async function handleCampaignControl({ ack, body, action, respond }: Args): Promise<void> {
    await ack();
    const id = campaignIdOf(action.value);
    if (!id) return;
    if (control === 'resume') {
      const campaign = await deps.service.findById(id);
      if (campaign?.status === 'paused' && deps.service.canManage(campaign, { userId: body.user.id })) {
        const access = await deps.channels.ensure(campaign.progress_channel ?? campaign.channel, body.user.id);
        if (!access.ok) {
          await respond({
            response_type: 'ephemeral',
            replace_original: false,
            ...notice(`Not resumed, nobody was called: ${access.problem}`),
          });
          return;
        }
      }
    }
    const result = await deps.service[control](id, { userId: body.user.id });
    if (!result.ok) {
      // Only the person who clicked sees why nothing happened; the progress message stays as it is.
      await respond({ response_type: 'ephemeral', replace_original: false, ...notice(refusal(control, result)) });
      return;
    }
    deps.progress.track(id);
  };
}
