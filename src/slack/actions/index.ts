import type { App } from '@slack/bolt';
import { guarded } from '../guarded.js';
import { ActionId } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { campaignControl } from './campaign-controls.js';
import { deleteCancel, deleteConfirm } from './delete-confirm.js';
import { contactsPage, homeStart, homeViewContacts } from './home-actions.js';
import { reportExport } from './report-export.js';
import { scheduleCancel, scheduleConfirm } from './schedule-confirm.js';
import { startCancel, startConfirm } from './start-confirm.js';

export function registerActions(app: App, deps: SlackDeps): void {
  app.action(ActionId.startConfirm, guarded(deps.log, 'start-confirm', startConfirm(deps)));
  app.action(ActionId.startCancel, guarded(deps.log, 'start-cancel', startCancel()));
  app.action(ActionId.pause, guarded(deps.log, 'pause', campaignControl(deps, 'pause')));
  app.action(ActionId.resume, guarded(deps.log, 'resume', campaignControl(deps, 'resume')));
  app.action(ActionId.stop, guarded(deps.log, 'stop', campaignControl(deps, 'stop')));
  app.action(ActionId.homeStart, guarded(deps.log, 'home-start', homeStart(deps)));
  app.action(ActionId.homeView, guarded(deps.log, 'home-view', homeViewContacts(deps)));
  app.action(new RegExp(`^${ActionId.contactsPage}_(prev|next)$`), guarded(deps.log, 'contacts-page', contactsPage(deps)));
  app.action(ActionId.deleteConfirm, guarded(deps.log, 'delete-confirm', deleteConfirm(deps)));
  app.action(ActionId.deleteCancel, guarded(deps.log, 'delete-cancel', deleteCancel()));
  app.action(ActionId.reportExport, guarded(deps.log, 'report-export', reportExport(deps)));
  app.action(ActionId.scheduleConfirm, guarded(deps.log, 'schedule-confirm', scheduleConfirm(deps)));
  app.action(ActionId.scheduleCancel, guarded(deps.log, 'schedule-cancel', scheduleCancel()));
}
