/**
 * The Terraform version every build runs, and the checksums of HashiCorp's release zips for it. The pin lives
 * in one file, `buildspecs/terraform-version.json`; the runner hands it to the buildspecs as variables, so a
 * bump is one edit that every environment picks up at once.
 */
import pin from '../../buildspecs/terraform-version.json' with { type: 'json' };

export interface TerraformPin {
  version: string;
  /** SHA-256 of `terraform_<version>_linux_<arch>.zip`, as in HashiCorp's SHA256SUMS. */
  sha256: { linux_amd64: string; linux_arm64: string };
}

export const TERRAFORM_PIN: TerraformPin = pin;

/** The variables the buildspecs' install phase reads. */
export function terraformPinEnv(): Record<string, string> {
  return {
    GANTRY_TERRAFORM_VERSION: TERRAFORM_PIN.version,
    GANTRY_TERRAFORM_SHA256_LINUX_AMD64: TERRAFORM_PIN.sha256.linux_amd64,
    GANTRY_TERRAFORM_SHA256_LINUX_ARM64: TERRAFORM_PIN.sha256.linux_arm64,
  };
}
