import type {
  AllMiddlewareArgs,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { startSummaryOf } from '../start-summary.js';
import { contactsModal, CONTACTS_PAGE_SIZE } from '../blocks/contacts-modal-blocks.js';
import { messageModal, startModal } from '../blocks/start-modal-blocks.js';
import { actorOf } from '../actor.js';
import { refusal } from '../campaign-sentences.js';
import { BlockId, InputId } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { campaignIdOf } from './start-confirm.js';
import type { CampaignFields } from '../../store/campaign-model.js';
import type { Types } from 'mongoose';

type ButtonArgs = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;
type SubmitArgs = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;

/** Start on the Home tab: opens the start summary in a modal with a channel picker. */
export function homeStart(deps: SlackDeps) {
  return async function handleHomeStart({ ack, action, body, client }: ButtonArgs): Promise<void> {
    await ack();
    const campaign = await deps.service.findById(campaignIdOf(action.value) ?? '');
    const open = (view: Parameters<typeof client.views.open>[0]['view']) => client.views.open({ trigger_id: body.trigger_id, view });
    if (!campaign) return void (await open(messageModal('Start campaign', 'That campaign no longer exists.')));
    const who = await actorOf(deps, body.user.id);
    if ('refusal' in who) return void (await open(messageModal('Start campaign', who.refusal)));
    const refused = deps.service.startRefusal(campaign, who.actor);
    if (refused) return void (await open(messageModal('Start campaign', refusal('start', { ok: false, reason: refused, campaign }))));
    const summary = deps.service.summary(campaign);
    if (campaign.status === 'running' || campaign.status === 'paused' || summary.toCall === 0) {
      const reason = summary.toCall === 0 ? 'nothing-to-call' : 'wrong-status';
      return void (await open(messageModal('Start campaign', refusal('start', { ok: false, reason, campaign }))));
    }
    await open(startModal(startSummaryOf(deps, summary), campaign.progress_channel ?? campaign.channel));
  };
}

/** What the start modal's Start came to: a channel the bot cannot post in, a sentence, or a started campaign. */
type ModalStart = { kind: 'channel'; problem: string } | { kind: 'sentence'; text: string } | { kind: 'started'; campaign: CampaignFields };

/** Within this budget the outcome goes back in the ack itself (Slack waits 3 s for it). */
const MODAL_ACK_BUDGET_MS = 2_000;

/**
 * The start modal's Start: the bot makes sure it can post in the chosen channel, then the same atomic start as
 * Confirm. A channel it cannot post in is answered on the channel field, so the person can pick another one or invite
 * the bot; when Slack is slow to answer, the modal says it is starting and then shows how it ended.
 */
export function startModalSubmit(deps: SlackDeps) {
  return async function handleStartModalSubmit({ ack, view, body, client }: SubmitArgs): Promise<void> {
    const id = campaignIdOf((JSON.parse(view.private_metadata || '{}') as { id?: string }).id);
    const channel = view.state.values[BlockId.startChannel]?.[InputId.channel]?.selected_conversation ?? null;
    if (!channel) {
      await ack({ response_action: 'errors', errors: { [BlockId.startChannel]: 'Choose the channel where progress is posted.' } });
      return;
    }
    if (!id)
      return void (await ack({ response_action: 'update', view: messageModal('Start campaign', 'That campaign no longer exists.') }));
    const outcome = startInChannel(deps, id, channel, body.user.id);
    let timer: NodeJS.Timeout | undefined;
    const early = await Promise.race([
      outcome,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), MODAL_ACK_BUDGET_MS))),
    ]);
    clearTimeout(timer);
    // Input errors are plain text: Slack would show mrkdwn there as typed.
    if (early?.kind === 'channel')
      return void (await ack({ response_action: 'errors', errors: { [BlockId.startChannel]: plainText(early.problem) } }));
    if (early?.kind === 'sentence')
      return void (await ack({ response_action: 'update', view: messageModal('Start campaign', early.text) }));
    if (early) {
      await ack();
      await deps.progress.post(early.campaign);
      return;
    }
    await ack({
      response_action: 'update',
      view: messageModal('Start campaign', `Checking that I can post in <#${channel}>, then starting…`),
    });
    const late = await outcome;
    const text =
      late.kind === 'started'
        ? `Started \`${late.campaign.name}\`; its progress is posted in <#${channel}>.`
        : late.kind === 'channel'
          ? `Not started, nobody was called: ${late.problem}`
          : late.text;
    await client.views.update({ view_id: view.id, view: messageModal('Start campaign', text) });
    if (late.kind === 'started') await deps.progress.post(late.campaign);
  };
}

async function startInChannel(deps: SlackDeps, id: Types.ObjectId, channel: string, userId: string): Promise<ModalStart> {
  const who = await actorOf(deps, userId);
  if ('refusal' in who) return { kind: 'sentence', text: who.refusal };
  const access = await deps.channels.ensure(channel, userId);
  if (!access.ok) {
    return access.kind === 'refused'
      ? { kind: 'channel', problem: access.problem }
      : { kind: 'sentence', text: `Not started, nobody was called: ${access.problem}` };
  }
  const result = await deps.service.start(id, who.actor, { channel, progress_channel: channel });
  return result.ok ? { kind: 'started', campaign: result.campaign } : { kind: 'sentence', text: refusal('start', result) };
}

/** A sentence with Slack's mrkdwn for a plain-text place: channel mentions become "this channel", code marks go. */
function plainText(text: string): string {
  return text.replace(/<#[A-Z0-9]+>/g, 'this channel').replace(/`/g, '');
}

/** View on the Home tab: the contacts with their call status, a page at a time. */
export function homeViewContacts(deps: SlackDeps) {
  return async function handleHomeView({ ack, action, body, client }: ButtonArgs): Promise<void> {
    await ack();
    const view = await contactsPageView(deps, action.value ?? '', 0, body.user.id);
    await client.views.open({ trigger_id: body.trigger_id, view });
  };
}

/** Previous / Next in the contacts modal. */
export function contactsPage(deps: SlackDeps) {
  return async function handleContactsPage({ ack, action, body, client }: ButtonArgs): Promise<void> {
    await ack();
    let target: { id?: string; page?: number } = {};
    try {
      target = JSON.parse(action.value ?? '{}') as typeof target;
    } catch {
      return;
    }
    const view = await contactsPageView(deps, target.id ?? '', Math.max(0, Number(target.page) || 0), body.user.id);
    if (body.view?.id) await client.views.update({ view_id: body.view.id, hash: body.view.hash, view });
  };
}

/** A page of contacts, for the owner, operators and admins only: View shows every number and name. */
async function contactsPageView(deps: SlackDeps, rawId: string, page: number, userId: string) {
  const campaign = await deps.service.findById(campaignIdOf(rawId) ?? '');
  if (!campaign) return messageModal('Contacts', 'That campaign no longer exists.');
  const who = await actorOf(deps, userId);
  if ('refusal' in who) return messageModal('Contacts', who.refusal);
  const refused = deps.service.exportRefusal(campaign, who.actor);
  if (refused) return messageModal('Contacts', refusal('view', { ok: false, reason: refused, campaign }));
  const { contacts, page: current } = await deps.contacts.page(campaign, page, CONTACTS_PAGE_SIZE);
  return contactsModal({ campaign, contacts, page: current, total: campaign.contacts_seq });
}
