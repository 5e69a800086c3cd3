"""Policy: approvals and waivers, the customer's written exceptions to the rules."""
