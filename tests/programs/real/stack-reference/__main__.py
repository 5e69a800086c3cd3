"""The data bucket uses the KMS key the platform stack exports."""
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
platform = pulumi.StackReference(config.get("platformStack") or "acme/platform/prod")
key_arn = platform.get_output("dataKeyArn")

bucket = aws.s3.Bucket("records", bucket="records-lu", tags={"data-classification": "contact"})
aws.s3.BucketServerSideEncryptionConfiguration("records-sse", bucket=bucket.id, rules=[{
    "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn},
    "bucket_key_enabled": True}])
aws.s3.BucketPublicAccessBlock("records-pab", bucket=bucket.id, block_public_acls=True, ignore_public_acls=True,
                               block_public_policy=True, restrict_public_buckets=True)

pulumi.export("vpc", platform.get_output("vpcId").apply(lambda vpc: f"in {vpc}"))
