import type { App } from '@slack/bolt';
import { startModalSubmit } from '../actions/home-actions.js';
import { ViewId } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { addContactsSubmit, campaignCreateSubmit, campaignEditSubmit } from './contacts-submit.js';

export function registerViews(app: App, deps: SlackDeps): void {
  app.view(ViewId.startModal, startModalSubmit(deps));
  app.view(ViewId.create, campaignCreateSubmit(deps));
  app.view(ViewId.addContacts, addContactsSubmit(deps));
  app.view(ViewId.edit, campaignEditSubmit(deps));
}
