"""The smallest bucket: AWS's own defaults apply (SSE-S3, public access blocked, ACLs disabled)."""
import pulumi
import pulumi_aws as aws

bucket = aws.s3.Bucket("my-bucket", tags={"data-classification": "technical"})
pulumi.export("bucket_name", bucket.id)
