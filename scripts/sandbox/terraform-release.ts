/**
 * A local stand-in for releases.hashicorp.com, for builds that run the buildspecs for real here (the demo,
 * the codebuild-run tests with terraform): this machine cannot reach HashiCorp, but has the pinned terraform
 * on PATH. Its binary is packed into `terraform_<version>_linux_<arch>.zip` under `<dir>/<version>/`, the
 * layout the install phase fetches from `GANTRY_TERRAFORM_RELEASES_URL`, and the variables returned pin
 * that zip's own SHA-256: the install phase verifies it like any release zip, and nothing in the buildspec
 * knows it is not HashiCorp's.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { zipSync } from 'fflate';
import { TERRAFORM_PIN, terraformPinEnv } from '../../src/terraform/pin.js';

export type LocalTerraformRelease = { ok: true; variables: Record<string, string> } | { ok: false; why: string };

export function localTerraformRelease(dir: string): LocalTerraformRelease {
  const which = spawnSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' });
  const binary = which.stdout.trim();
  if (which.status !== 0 || binary === '') return { ok: false, why: 'terraform is not on PATH' };
  const version = spawnSync(binary, ['version'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  const first = version.stdout.split('\n')[0] ?? '';
  if (first !== `Terraform v${TERRAFORM_PIN.version}`) {
    return { ok: false, why: `terraform on PATH reports "${first}", not the pinned ${TERRAFORM_PIN.version}, and HashiCorp's zip cannot be downloaded here` };
  }
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  // Stored, not deflated: the zip only carries the binary to the install phase, and 90 MB deflate slowly.
  const zip = zipSync({ terraform: [readFileSync(realpathSync(binary)), { level: 0, os: 3, attrs: 0o100755 << 16 }] });
  const releases = join(dir, 'terraform-releases');
  mkdirSync(join(releases, TERRAFORM_PIN.version), { recursive: true });
  writeFileSync(join(releases, TERRAFORM_PIN.version, `terraform_${TERRAFORM_PIN.version}_linux_${arch}.zip`), zip);
  const sha256 = createHash('sha256').update(zip).digest('hex');
  return {
    ok: true,
    variables: {
      ...terraformPinEnv(),
      [`GANTRY_TERRAFORM_SHA256_LINUX_${arch.toUpperCase()}`]: sha256,
      GANTRY_TERRAFORM_RELEASES_URL: pathToFileURL(releases).href,
    },
  };
}
