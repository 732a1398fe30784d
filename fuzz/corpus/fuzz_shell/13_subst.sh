echo "::set-output name=dir::$(pip cache dir)"
echo "version=$(git describe --tags `git rev-list --tags --max-count=1`)" >> $GITHUB_OUTPUT
