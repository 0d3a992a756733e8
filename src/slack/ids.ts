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
  deleteConfirm: 'campaign_delete_confirm',
  deleteCancel: 'campaign_delete_cancel',
  reportExport: 'campaign_report_export',
  scheduleConfirm: 'campaign_schedule_confirm',
  scheduleCancel: 'campaign_schedule_cancel',
} as const;

export const BlockId = {
  progressActions: 'progress_actions',
  startActions: 'start_actions',
  startChannel: 'start_channel',
  contactsNav: 'contacts_nav',
  deleteActions: 'delete_actions',
  reportActions: 'report_actions',
  name: 'campaign_name',
  title: 'campaign_title',
  description: 'campaign_description',
  file: 'contacts_file',
  paste: 'contacts_paste',
  callerId: 'campaign_caller_id',
  pace: 'campaign_pace',
  template: 'campaign_template',
  keys: 'campaign_keys',
  retryOn: 'rules_retry_on',
  maxAttempts: 'rules_max_attempts',
  delayBusy: 'rules_delay_busy',
  delayNoAnswer: 'rules_delay_no_answer',
  delayFailed: 'rules_delay_failed',
  exponential: 'rules_exponential',
  hours: 'rules_hours',
  timeZone: 'rules_time_zone',
  skipDates: 'rules_skip_dates',
  startAt: 'rules_start_at',
  callUntil: 'rules_call_until',
  scheduleActions: 'schedule_actions',
} as const;

/** Element action_ids inside modal inputs. */
export const InputId = {
  channel: 'channel',
  value: 'value',
} as const;

export const ViewId = {
  contacts: 'campaign_contacts',
  startModal: 'campaign_start_modal',
  create: 'campaign_create',
  addContacts: 'campaign_add_contacts',
  edit: 'campaign_edit',
} as const;
