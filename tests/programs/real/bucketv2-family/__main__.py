"""The BucketV2 family (deprecated, still accepted by pulumi-aws 7): a public-read ACL."""
import pulumi_aws as aws

bucket = aws.s3.BucketV2("media", bucket="media-lu", tags={"data-classification": "marketing"})
ownership = aws.s3.BucketOwnershipControls("media-ownership", bucket=bucket.id,
                                           rule={"object_ownership": "BucketOwnerPreferred"})
block = aws.s3.BucketPublicAccessBlock("media-pab", bucket=bucket.id, block_public_acls=False,
                                       ignore_public_acls=False, block_public_policy=False,
                                       restrict_public_buckets=False)
aws.s3.BucketAclV2("media-acl", bucket=bucket.id, acl="public-read")
aws.s3.BucketServerSideEncryptionConfigurationV2("media-sse", bucket=bucket.id, rules=[{
    "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}])
aws.s3.BucketVersioningV2("media-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"})
