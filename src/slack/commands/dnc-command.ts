import { splitNumbers } from '../../campaigns/dnc-service.js';
import { formatPhone } from '../blocks/format.js';
import { notice } from '../blocks/notice-blocks.js';
import { COMMAND } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';
import type { Subcommand } from './subcommand.js';

const USAGE = `\`${COMMAND} dnc add <numbers>\`, \`${COMMAND} dnc remove <numbers>\` or \`${COMMAND} dnc list\``;

/** `/campaign dnc add|remove|list`: the workspace's do-not-call list (admins only). */
export function dncCommand(deps: SlackDeps): Subcommand {
  return {
    name: 'dnc',
    usage: 'dnc add|remove|list <numbers>',
    summary: 'the do-not-call list: numbers no campaign ever dials (admins)',
    async run(ctx) {
      if (!deps.service.isAdmin(ctx.userId)) {
        return { response_type: 'ephemeral', ...notice('Only campaign admins (CAMPAIGN_ADMINS) can change or read the do-not-call list.') };
      }
      const [action = '', ...rest] = ctx.args;
      const typed = splitNumbers(ctx.rest.slice(action.length));
      switch (action.toLowerCase()) {
        case 'list': {
          const { phones, total } = await deps.dnc.list(ctx.teamId);
          if (total === 0) return { response_type: 'ephemeral', ...notice('The do-not-call list is empty.') };
          const more = total > phones.length ? `\n…and ${total - phones.length} more.` : '';
          return { response_type: 'ephemeral', ...notice(`*Do-not-call list* (${total}):\n${phones.map(formatPhone).join('\n')}${more}`) };
        }
        case 'add':
        case 'remove': {
          if (rest.length === 0 || typed.length === 0) return { response_type: 'ephemeral', ...notice(`Which numbers? ${USAGE}.`) };
          const change =
            action.toLowerCase() === 'add' ? await deps.dnc.add(ctx.teamId, typed, ctx.userId) : await deps.dnc.remove(ctx.teamId, typed);
          const verb = action.toLowerCase() === 'add' ? 'Added to' : 'Removed from';
          const lines = [`${verb} the do-not-call list: ${change.changed.length ? change.changed.map(formatPhone).join(', ') : 'none'}.`];
          if (change.unchanged.length)
            lines.push(`Already ${action.toLowerCase() === 'add' ? 'on' : 'off'} it: ${change.unchanged.map(formatPhone).join(', ')}.`);
          for (const bad of change.invalid)
            lines.push(`Not a number I can use: \`${bad.value.slice(0, 40).replace(/`/g, "'")}\` — ${bad.reason}`);
          if (action.toLowerCase() === 'add' && change.changed.length)
            lines.push('Contacts with these numbers that were waiting to be called are now skipped.');
          return { response_type: 'ephemeral', ...notice(lines.join('\n')) };
        }
        default:
          return { response_type: 'ephemeral', ...notice(`Use ${USAGE}.`) };
      }
    },
  };
}
