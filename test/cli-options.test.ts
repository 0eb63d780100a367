/**
 * The option types the table produces. These are compile-time checks (`npm run typecheck` fails
 * when one breaks); the runtime test only keeps vitest from reporting an empty file.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { CommandOptions, SpecOptions } from '../src/cli-options.js';

describe('CommandOptions', () => {
  it('types positional arguments of a command without flags, and flags of one without arguments', () => {
    type FlagLess = SpecOptions<{ name: 'pin'; description: ''; args: readonly ['<id>', '[files...]']; options: readonly [] }>;
    expectTypeOf<{ id: string }>().toMatchTypeOf<FlagLess>();
    expectTypeOf<{ id: string; files: string[] }>().toMatchTypeOf<FlagLess>();
    expectTypeOf<{ files: string[] }>().not.toMatchTypeOf<FlagLess>();
    expectTypeOf<keyof FlagLess>().toEqualTypeOf<'id' | 'files'>();

    expectTypeOf<{ id: string; replace: boolean; avatar: string }>().toMatchTypeOf<CommandOptions<'eject'>>();
    expectTypeOf<{ replace: boolean }>().not.toMatchTypeOf<CommandOptions<'eject'>>();
    expectTypeOf<keyof CommandOptions<'schema'>>().toEqualTypeOf<'command'>();
  });
});
