/** `remediate approvals hash-password`: the scrypt line for a local user of the approvals page (docs/approvals.md). */
import type { Command } from 'commander';
import { EXIT, UserFacingError } from './errors';

class PasswordInputError extends UserFacingError {
  override readonly name = 'PasswordInputError';
  readonly exitCode = EXIT.USAGE;
}

/** The password is read from stdin (one line), never from an argument, so it is not in the shell history or `ps`. */
export async function runHashPassword(
  input: NodeJS.ReadableStream = process.stdin,
  out: (line: string) => void = console.log,
): Promise<void> {
  const { hashPassword } = await import('../approvals/web/passwords');
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password.length < 8) throw new PasswordInputError('expected a password of at least 8 characters on stdin');
  out(await hashPassword(password));
}

export function registerApprovals(program: Command): void {
  program
    .command('approvals')
    .description('The approvals page of `remediate serve` (docs/approvals.md).')
    .command('hash-password')
    .description('Read a password from stdin and print its scrypt hash, for approvals_page.users.NAME.password_scrypt.')
    .action(async () => runHashPassword());
}
