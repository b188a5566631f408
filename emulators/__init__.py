"""The local stack: real Google emulators, every function as its own process, provisioned
from the Terraform definitions."""
