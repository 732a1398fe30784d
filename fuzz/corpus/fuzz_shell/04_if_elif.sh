if [ "${{ github.event_name }}" == "push" ]; then
  echo "deploying ${{ github.sha }}"
elif [[ -n "$TAG" && $TAG =~ ^v[0-9]+ ]]; then
  make release
else
  echo skip
fi
