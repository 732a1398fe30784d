if a; then b
echo "unterminated
cat <<EOF
$(echo (
