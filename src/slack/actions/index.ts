import type { App } from '@slack/bolt';
import { ActionId } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { campaignControl } from './campaign-controls.js';
import { startCancel, startConfirm } from './start-confirm.js';
import { contactsPage, homeStart, homeViewContacts, startModalSubmit } from './home-actions.js';
import { ViewId } from '../ids.js';
import { deleteCancel, deleteConfirm } from './delete-confirm.js';
import { addContactsSubmit, campaignCreateSubmit } from '../views/contacts-submit.js';

export function registerActions(app: App, deps: SlackDeps): void {
  app.action(ActionId.startConfirm, startConfirm(deps));
  app.action(ActionId.startCancel, startCancel());
  app.action(ActionId.pause, campaignControl(deps, 'pause'));
  app.action(ActionId.resume, campaignControl(deps, 'resume'));
  app.action(ActionId.stop, campaignControl(deps, 'stop'));
  app.action(ActionId.homeStart, homeStart(deps));
  app.action(ActionId.homeView, homeViewContacts(deps));
  app.action(new RegExp(`^${ActionId.contactsPage}_(prev|next)$`), contactsPage(deps));
  app.view(ViewId.startModal, startModalSubmit(deps));
  app.action(ActionId.deleteConfirm, deleteConfirm(deps));
  app.action(ActionId.deleteCancel, deleteCancel());
  app.view(ViewId.create, campaignCreateSubmit(deps));
  app.view(ViewId.addContacts, addContactsSubmit(deps));
}
