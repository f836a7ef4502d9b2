import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as generated from '../../generated/contracts/index.ts';

type Compiled = { name: string; abi: unknown[]; bytecode: string; deployedSize: number };
type BuildModule = {
  compileContracts(sources: { key: string; content: string }[]): Compiled[];
  MAX_DEPLOYED_SIZE: number;
};

// The build step is plain JavaScript run by `npm ci`; load it without type declarations.
const buildModule = '../../scripts/build/contracts.mjs';
const { compileContracts, MAX_DEPLOYED_SIZE } = (await import(buildModule as string)) as BuildModule;

const DEPLOYABLE = ['AccessCredits', 'ConcordToken', 'ModelRegistry', 'NodeRegistry', 'Shares', 'TaskMarket'];

describe('contracts build', () => {
  it('emits ABI, bytecode and deployed size for every deployable contract, all below EIP-170', () => {
    const sizes = JSON.parse(
      readFileSync(new URL('../../generated/contracts/sizes.json', import.meta.url), 'utf8'),
    ) as Record<string, number>;
    const exports = generated as Record<string, unknown>;
    for (const name of DEPLOYABLE) {
      const id = name.charAt(0).toLowerCase() + name.slice(1);
      assert.ok(Array.isArray(exports[`${id}Abi`]), `${id}Abi`);
      assert.match(exports[`${id}Bytecode`] as string, /^0x[0-9a-f]+$/);
      const size = exports[`${id}DeployedSize`] as number;
      assert.equal(size, sizes[name]);
      assert.ok(size > 0 && size < MAX_DEPLOYED_SIZE, `${name}: ${size} bytes`);
    }
    assert.equal(MAX_DEPLOYED_SIZE, 24_576);
  });

  it('compiles OpenZeppelin imports from node_modules', () => {
    const [token] = compileContracts([
      {
        key: 'Probe.sol',
        content: `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
contract Probe is ERC20 { constructor() ERC20("P", "P") {} }`,
      },
    ]);
    assert.equal(token?.name, 'Probe');
    assert.ok(token.abi.some((item) => (item as { name?: string }).name === 'transfer'));
  });

  it("fails with the compiler's error message on invalid Solidity", () => {
    assert.throws(
      () =>
        compileContracts([
          { key: 'Broken.sol', content: 'pragma solidity ^0.8.24; contract Broken { uint x = ; }' },
        ]),
      (err: Error) =>
        err.name === 'ContractsBuildError' &&
        /Broken\.sol/.test(err.message) &&
        /ParserError/.test(err.message),
    );
  });

  it('fails when a deployed contract would exceed the EIP-170 size limit', () => {
    const blob = 'ab'.repeat(MAX_DEPLOYED_SIZE);
    const content = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Huge { function blob() external pure returns (bytes memory) { return hex"${blob}"; } }`;
    assert.throws(
      () => compileContracts([{ key: 'Huge.sol', content }]),
      (err: Error) =>
        err.name === 'ContractsBuildError' && /EIP-170/.test(err.message) && /Huge/.test(err.message),
    );
  });
});
