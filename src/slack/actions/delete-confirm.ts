import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { notice } from '../blocks/notice-blocks.js';
import { refusal } from '../campaign-sentences.js';
import type { SlackDeps } from '../slack-deps.js';
import { campaignIdOf } from './start-confirm.js';

type Args = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;

export function deleteConfirm(deps: SlackDeps) {
  return async function handleDeleteConfirm({ ack, body, action, respond }: Args): Promise<void> {
    await ack();
    const id = campaignIdOf(action.value);
    if (!id) return void (await respond({ replace_original: true, ...notice('That button is out of date. Run the command again.') }));
    const result = await deps.service.delete(id, { userId: body.user.id });
    if (!result.ok) return void (await respond({ replace_original: true, ...notice(refusal('delete', result)) }));
    deps.log.info({ campaign: String(id), by: body.user.id }, 'campaign deleted');
    await respond({ replace_original: true, ...notice(`Deleted \`${result.campaign.name}\` and its contacts.`) });
  };
}

export function deleteCancel() {
  return async function handleDeleteCancel({ ack, respond }: Args): Promise<void> {
    await ack();
    await respond({ replace_original: true, ...notice('Nothing was deleted.') });
  };
}
