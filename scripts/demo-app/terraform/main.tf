# The demo's terraform app: built-in resources only, so `terraform init` needs no provider download.
# A real repository holds the gantry terraform/ stack (or its own) where the config's workingDirectory says.
variable "environment" {
  type    = string
  default = "demo"
}

variable "repository_root" {
  type        = string
  default     = "../../.."
  description = "The repository root, relative to this directory (terraform/environments/<env>)."
}

locals {
  # Where the plan build's `gantry package` writes each function's zip, built from functions/<name>: the
  # stack of terraform/ deploys them from there, with filebase64sha256() as the function's source_code_hash.
  packages = "${path.module}/${var.repository_root}/dist/functions"
}

resource "terraform_data" "release" {
  input = "release of ${var.environment}"
}

resource "terraform_data" "config" {
  input = { environment = var.environment }
}

# One per package, holding its hash: the plan depends on the zips' bytes, as the real stack's does.
resource "terraform_data" "function" {
  for_each = fileset(local.packages, "*.zip")
  input = {
    package = "dist/functions/${each.value}"
    sha256  = filesha256("${local.packages}/${each.value}")
  }
}
