"""A program that starts a non-daemon thread and never joins it."""
import threading
import time

import pulumi_aws as aws

threading.Thread(target=lambda: time.sleep(3600), name="metrics-flusher").start()
aws.kms.Key("key", enable_key_rotation=True)
