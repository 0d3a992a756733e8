import type { CampaignService } from '../campaigns/campaign-service.js';
import type { ContactsService } from '../campaigns/contacts-service.js';
import type { DncService } from '../campaigns/dnc-service.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { People } from './people.js';
import type { ChannelAccess } from './channel-access.js';
import type { ProgressReporter } from './progress/progress-reporter.js';

/** What Slack listeners need; built once in app.ts. */
export interface SlackDeps {
  config: Config;
  log: Logger;
  service: CampaignService;
  contacts: ContactsService;
  dnc: DncService;
  progress: ProgressReporter;
  /** Who a Slack user is (guest? operator?), asked of Slack. */
  people: People;
  /** Whether the bot can post in a channel (joining a public one): asked before anything is dialled. */
  channels: ChannelAccess;
}
