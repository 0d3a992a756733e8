import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { notice } from '../blocks/notice-blocks.js';
import { slackDate } from '../blocks/format.js';
import { actorOf } from '../actor.js';
import { refusal } from '../campaign-sentences.js';
import { COMMAND } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { campaignIdOf } from './start-confirm.js';

type Args = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;

/**
 * Schedule on the schedule summary: the bot makes sure it can post in this channel now (and checks again at the start
 * time), then one atomic status change; the campaign starts at that time, in this channel.
 */
export function scheduleConfirm(deps: SlackDeps) {
  return async function handleScheduleConfirm({ ack, body, action, respond }: Args): Promise<void> {
    await ack();
    let target: { id?: string; at?: string } = {};
    try {
      target = JSON.parse(action.value ?? '{}') as typeof target;
    } catch {
      // an old or altered button: answered below
    }
    const id = campaignIdOf(target.id);
    const at = target.at ? new Date(target.at) : null;
    if (!id || !at || Number.isNaN(at.getTime()))
      return void (await respond({ replace_original: true, ...notice('That button is out of date. Run the command again.') }));
    if (at.getTime() <= Date.now())
      return void (await respond({ replace_original: true, ...notice('That time has passed. Run the command again with a time ahead.') }));
    const channel = body.channel?.id ?? null;
    const who = await actorOf(deps, body.user.id);
    if ('refusal' in who) return void (await respond({ replace_original: true, ...notice(who.refusal) }));
    const access = await deps.channels.ensure(channel, body.user.id);
    if (!access.ok) return void (await respond({ replace_original: true, ...notice(`Not scheduled: ${access.problem}`) }));
    const result = await deps.service.schedule(id, who.actor, at, { channel, progress_channel: channel });
    if (!result.ok) return void (await respond({ replace_original: true, ...notice(refusal('schedule', result)) }));
    const name = result.campaign.name;
    await respond({
      replace_original: true,
      ...notice(
        `Scheduled \`${name}\` to start ${slackDate(at)}; its progress will be posted in this channel. \`${COMMAND} unschedule ${name}\` cancels it.`,
      ),
    });
  };
}

export function scheduleCancel() {
  return async function handleScheduleCancel({ ack, respond }: Args): Promise<void> {
    await ack();
    await respond({ replace_original: true, ...notice('Not scheduled.') });
  };
}
