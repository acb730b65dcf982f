"""What is surveyed, where and when: agencies, questionnaires, waves and their sampling frames."""
