"""Only resources luxguard has no model for: a container registry and a Glacier vault."""
import pulumi_aws as aws

aws.ecr.Repository("ci-images", image_tag_mutability="IMMUTABLE")
aws.glacier.Vault("ci-archive")
