import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { startSummaryOf } from '../start-summary.js';
import { contactsModal, CONTACTS_PAGE_SIZE } from '../blocks/contacts-modal-blocks.js';
import { messageModal, startModal } from '../blocks/start-modal-blocks.js';
import { actorOf } from '../actor.js';
import { refusal } from '../campaign-sentences.js';
import { BlockId, InputId } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { campaignIdOf } from './start-confirm.js';

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

/** The start modal's Start: the same atomic start as Confirm, with the channel chosen in the modal. */
export function startModalSubmit(deps: SlackDeps) {
  return async function handleStartModalSubmit({ ack, view, body }: SubmitArgs): Promise<void> {
    const id = campaignIdOf((JSON.parse(view.private_metadata || '{}') as { id?: string }).id);
    const channel = view.state.values[BlockId.startChannel]?.[InputId.channel]?.selected_conversation ?? null;
    if (!channel) {
      await ack({ response_action: 'errors', errors: { [BlockId.startChannel]: 'Choose the channel where progress is posted.' } });
      return;
    }
    if (!id) return void (await ack({ response_action: 'update', view: messageModal('Start campaign', 'That campaign no longer exists.') }));
    const who = await actorOf(deps, body.user.id);
    if ('refusal' in who) return void (await ack({ response_action: 'update', view: messageModal('Start campaign', who.refusal) }));
    const result = await deps.service.start(id, who.actor, { channel, progress_channel: channel });
    if (!result.ok) {
      await ack({ response_action: 'update', view: messageModal('Start campaign', refusal('start', result)) });
      return;
    }
    await ack();
    await deps.progress.post(result.campaign);
  };
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
