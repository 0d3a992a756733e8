// What Slack knows about the person asking, turned into the facts the campaign service decides on: whether they are
// a guest (a restricted or single-channel account, users.info) and whether they are an operator (CAMPAIGN_OPERATORS:
// their user id, or a member of one of its user groups, usergroups.users.list; everyone when it is empty). Answers
// are kept a few minutes, so a burst of clicks asks Slack once.
import type { WebClient } from '@slack/web-api';
import type { Actor } from '../campaigns/campaign-service.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/** Slack could not tell who the person is; nothing that needs it is allowed, and the sentence says so. */
export class PeopleLookupError extends Error {
  override readonly name = 'PeopleLookupError';
}

export class People {
  readonly #guests = new Map<string, { guest: boolean; at: number }>();
  readonly #groups = new Map<string, { members: Set<string>; at: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly operators: Config['operators'],
    private readonly log: Logger,
    private readonly ttlMs = 300_000,
  ) {}

  /** The person as the service sees them. Throws PeopleLookupError when Slack cannot be asked. */
  async actor(userId: string): Promise<Actor> {
    const [guest, operator] = await Promise.all([this.#isGuest(userId), this.#isOperator(userId)]);
    return { userId, guest, operator };
  }

  async #isGuest(userId: string): Promise<boolean> {
    const known = this.#guests.get(userId);
    if (known && Date.now() - known.at < this.ttlMs) return known.guest;
    try {
      const res = await this.client.users.info({ user: userId });
      const user = res.user as { is_restricted?: boolean; is_ultra_restricted?: boolean } | undefined;
      const guest = user?.is_restricted === true || user?.is_ultra_restricted === true;
      this.#guests.set(userId, { guest, at: Date.now() });
      return guest;
    } catch (error) {
      this.log.warn({ err: error }, 'could not look up a user with Slack');
      throw new PeopleLookupError(`I could not check your account with Slack (${slackError(error)}). Try again in a minute.`);
    }
  }

  async #isOperator(userId: string): Promise<boolean> {
    const { users, groups } = this.operators;
    if (users.length === 0 && groups.length === 0) return true;
    if (users.includes(userId)) return true;
    for (const group of groups) if ((await this.#members(group)).has(userId)) return true;
    return false;
  }

  async #members(group: string): Promise<Set<string>> {
    const known = this.#groups.get(group);
    if (known && Date.now() - known.at < this.ttlMs) return known.members;
    try {
      const res = await this.client.usergroups.users.list({ usergroup: group });
      const members = new Set(res.users ?? []);
      this.#groups.set(group, { members, at: Date.now() });
      return members;
    } catch (error) {
      this.log.warn({ err: error, usergroup: group }, 'could not read a CAMPAIGN_OPERATORS user group from Slack');
      throw new PeopleLookupError(
        `I could not read the operators' user group ${group} from Slack (${slackError(error)}). Try again in a minute, or ask an admin to check CAMPAIGN_OPERATORS.`,
      );
    }
  }
}

function slackError(error: unknown): string {
  const data = (error as { data?: { error?: string } }).data;
  return data?.error ?? (error instanceof Error ? error.message : String(error));
}
