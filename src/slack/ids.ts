// Every Slack id (command, action_id, block_id, callback_id) is defined once, here.
export const COMMAND = '/campaign';

export const ActionId = {
  startConfirm: 'campaign_start_confirm',
  startCancel: 'campaign_start_cancel',
  pause: 'campaign_pause',
  resume: 'campaign_resume',
  stop: 'campaign_stop',
  homeStart: 'home_campaign_start',
  homeView: 'home_campaign_view',
  contactsPage: 'contacts_page',
} as const;

export const BlockId = {
  progressActions: 'progress_actions',
  startActions: 'start_actions',
  startChannel: 'start_channel',
  contactsNav: 'contacts_nav',
} as const;

/** Element action_ids inside modal inputs. */
export const InputId = {
  channel: 'channel',
} as const;

export const ViewId = {
  contacts: 'campaign_contacts',
  startModal: 'campaign_start_modal',
} as const;
