import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { Types } from 'mongoose';
import { notice } from '../blocks/notice-blocks.js';
import { actorOf } from '../actor.js';
import { refusal } from '../campaign-sentences.js';
import { ActionId } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';

type Args = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;

export function campaignIdOf(value: string | undefined): Types.ObjectId | null {
  return value && Types.ObjectId.isValid(value) && /^[0-9a-f]{24}$/i.test(value) ? new Types.ObjectId(value) : null;
}

/**
 * Confirm on the start summary: the bot first makes sure it can post in this channel (joining it when public; else
 * nothing is dialled and the person is told how to invite it), then one atomic status change starts the campaign (two
 * clicks, two users or two processes: one run; the others are told it is already running), then the progress
 * message goes to the channel.
 */
export function startConfirm(deps: SlackDeps) {
  return async function handleStartConfirm({ ack, body, action, respond }: Args): Promise<void> {
    await ack();
    const id = campaignIdOf(action.value);
    const channel = body.channel?.id ?? null;
    if (!id) return void (await respond({ replace_original: true, ...notice('That button is out of date. Run the command again.') }));
    const who = await actorOf(deps, body.user.id);
    if ('refusal' in who) return void (await respond({ replace_original: true, ...notice(who.refusal) }));
    const access = await deps.channels.ensure(channel, body.user.id);
    if (!access.ok) return void (await respond({ replace_original: true, ...notice(`Not started, nobody was called: ${access.problem}`) }));
    const result = await deps.service.start(id, who.actor, { channel, progress_channel: channel });
    if (!result.ok) {
      await respond({ replace_original: true, ...notice(refusal('start', result)) });
      return;
    }
    const ts = await deps.progress.post(result.campaign);
    const where = ts
      ? 'Progress is posted in this channel.'
      : 'I could not post the progress message here yet; I will keep trying, and pause the campaign if Slack keeps refusing.';
    await respond({ replace_original: true, ...notice(`Started \`${result.campaign.name}\`. ${where}`) });
  };
}

export function startCancel() {
  return async function handleStartCancel({ ack, respond }: Args): Promise<void> {
    await ack();
    await respond({ replace_original: true, ...notice('Not started.') });
  };
}

export const START_ACTIONS = { confirm: ActionId.startConfirm, cancel: ActionId.startCancel } as const;
