import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { actorOf } from '../actor.js';
import { refusal } from '../campaign-sentences.js';
import { exportToSlack } from '../export-to-slack.js';
import type { SlackDeps } from '../slack-deps.js';
import { campaignIdOf } from './start-confirm.js';

type Args = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;

/** The finish report's Export button: the contacts as CSV in the thread; the sentence goes to the clicker only. */
export function reportExport(deps: SlackDeps) {
  return async function handleReportExport({ ack, action, body, client, respond }: Args): Promise<void> {
    await ack();
    const campaign = await deps.service.findById(campaignIdOf(action.value) ?? '');
    const who = await actorOf(deps, body.user.id);
    let text: string;
    if (!campaign) text = 'That campaign no longer exists.';
    else if ('refusal' in who) text = who.refusal;
    else {
      const refused = deps.service.exportRefusal(campaign, who.actor);
      text = refused
        ? refusal('export', { ok: false, reason: refused, campaign })
        : await exportToSlack(deps, client, campaign, body.user.id);
    }
    await respond({ response_type: 'ephemeral', replace_original: false, text });
  };
}
