import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { homeView, HOME_LIMIT } from '../blocks/home-blocks.js';
import type { SlackDeps } from '../slack-deps.js';

type Args = AllMiddlewareArgs & SlackEventMiddlewareArgs<'app_home_opened'>;

/** Publishes the Home tab each time someone opens it. */
export function appHomeOpened(deps: SlackDeps) {
  return async function handleAppHomeOpened({ event, client, context, body }: Args): Promise<void> {
    if (event.tab !== 'home') return;
    const teamId = context.teamId ?? (body as { team_id?: string }).team_id ?? '';
    await publishHome(deps, client, event.user, teamId);
  };
}

export async function publishHome(deps: SlackDeps, client: AllMiddlewareArgs['client'], userId: string, teamId: string): Promise<void> {
  const campaigns = await deps.service.list(teamId, HOME_LIMIT + 50);
  await client.views.publish({ user_id: userId, view: homeView(campaigns) });
}
