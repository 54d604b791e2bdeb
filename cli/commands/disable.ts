import type { CliCommand } from '../command.js';
import { UserError } from '../command.js';

// Placeholder until its issue lands: says so plainly instead of pretending.
const cmd: CliCommand = {
  name: 'disable',
  summary: '(not built yet)',
  usage: 'usage: lbctl disable\n\nNot built yet.',
  async run() {
    throw new UserError("'disable' is not built yet", 2);
  },
};
export default cmd;
