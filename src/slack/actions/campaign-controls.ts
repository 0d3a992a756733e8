import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { notice } from '../blocks/notice-blocks.js';
import { refusal } from '../campaign-sentences.js';
import type { SlackDeps } from '../slack-deps.js';
import { campaignIdOf } from './start-confirm.js';

type Args = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;

/** Pause, Resume and Stop on the progress message. The message itself is redrawn by the progress reporter. */
export function campaignControl(deps: SlackDeps, control: 'pause' | 'resume' | 'stop') {
  return async function handleCampaignControl({ ack, body, action, respond }: Args): Promise<void> {
    await ack();
    const id = campaignIdOf(action.value);
    if (!id) return;
    const result = await deps.service[control](id, { userId: body.user.id });
    if (!result.ok) {
      // Only the person who clicked sees why nothing happened; the progress message stays as it is.
      await respond({ response_type: 'ephemeral', replace_original: false, ...notice(refusal(control, result)) });
      return;
    }
    deps.progress.track(id);
  };
}
