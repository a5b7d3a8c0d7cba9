# The demo's terraform app: built-in resources only, so `terraform init` needs no provider download.
# A real repository holds the gantry terraform/ stack (or its own) where the config's workingDirectory says.
variable "environment" {
  type    = string
  default = "demo"
}

resource "terraform_data" "release" {
  input = "release of ${var.environment}"
}

resource "terraform_data" "config" {
  input = { environment = var.environment }
}
